import { Command, Option } from 'commander';
import { checkCrds } from '../check/crds.ts';
import { checkMetrics } from '../check/metrics.ts';
import { checkLeader, discoverOperator } from '../check/operator.ts';
import { checkRbac } from '../check/rbac.ts';
import { type CheckLine, failed, ok, renderCheckLine } from '../check/report.ts';
import { type CliContext, fail } from '../context.ts';
import { describeKubeError, ExitCode } from '../errors.ts';

/** Options of `berth check`. */
interface CheckOptions {
  operatorNamespace: string;
  leaseName?: string;
  serviceAccount?: string;
  metricsUrl?: string;
}

/** `berth check`: is berth installed, current, running, allowed, and observable? */
export function checkCommand(ctx: CliContext): Command {
  return new Command('check')
    .summary('check that berth is installed, running and allowed to work')
    .description(
      'One line per check, "ok", "FAIL" with what to do, or "skip" with why it could not be checked:\n' +
        '  - the API server answers;\n' +
        '  - the three CRDs are installed, Established, and serve the schema this berth generates;\n' +
        '  - the operator Deployment (labels app.kubernetes.io/name=berth, component=operator) has ready ' +
        'replicas, and a leader holds its Lease and renewed it within the lease duration;\n' +
        "  - the operator's ServiceAccount may do what it needs (SubjectAccessReview: you must be allowed to " +
        'create them);\n' +
        "  - /metrics answers, through the API server's service proxy (or at --metrics-url).\n" +
        'The ServiceAccount, Lease name and watched namespaces come from the Deployment; flags override.\n\n' +
        'Exit code 0 when nothing failed (skipped checks do not fail), 1 when something did.',
    )
    .addOption(
      new Option('--operator-namespace <namespace>', 'where the operator runs').default('berth-system'),
    )
    .option(
      '--lease-name <name>',
      "the operator's Lease (default: from the Deployment, else berth or berth-operator)",
    )
    .option(
      '--service-account <name>',
      "the operator's ServiceAccount, NAME or NAMESPACE/NAME (default: from the Deployment)",
    )
    .option('--metrics-url <url>', 'read /metrics here instead of through the metrics Service')
    .action(async (opts: CheckOptions, cmd: Command) => {
      const kube = ctx.connect(cmd.optsWithGlobals());
      const { io } = ctx;
      let skips = 0;
      const print = (line: CheckLine) => {
        io.out(renderCheckLine(line, io.paint));
        if (line.result === 'fail') fail(ctx, ExitCode.Problem);
        if (line.result === 'skip') skips++;
      };
      try {
        const version = await kube.version.getCode();
        print(ok(`Kubernetes ${version.gitVersion} at ${kube.server}`));
      } catch (err) {
        print(failed(describeKubeError(err, 'ask the API server for its version', kube.server)));
        return;
      }
      for (const line of await checkCrds(kube)) print(line);
      const { target, lines } = await discoverOperator(kube, opts.operatorNamespace, {
        leaseName: opts.leaseName,
        serviceAccount: opts.serviceAccount,
      });
      for (const line of lines) print(line);
      const leader = await checkLeader(kube, target, io.now());
      print(leader.line);
      print(await checkRbac(kube, target, leader.leaseName ?? target.leaseNames[0]));
      print(await checkMetrics(kube, opts.operatorNamespace, { url: opts.metricsUrl }));
      io.out(
        ctx.exitCode !== ExitCode.Ok
          ? `${io.paint('problems found', 'red')}: see the FAIL lines above\n`
          : skips > 0
            ? `${io.paint('no problem found', 'yellow')}, but ${skips} check${skips === 1 ? ' was' : 's were'} skipped: see the skip lines above\n`
            : `${io.paint('berth looks healthy', 'green')}\n`,
      );
    });
}
