import { InvalidArgumentError, Option } from 'commander';
import { CliError } from '../errors.ts';
import { parseTimeout } from '../wait.ts';

/** `--timeout <duration>` with a default, parsed as kubectl parses durations; bad values exit 2. */
export function timeoutOption(defaultText: string, what: string): Option {
  return new Option('--timeout <duration>', `how long to wait for ${what}`)
    .default(parseTimeout(defaultText), defaultText)
    .argParser((text: string) => {
      try {
        return parseTimeout(text);
      } catch (err) {
        throw new InvalidArgumentError(
          err instanceof CliError ? 'expected a duration such as 30s, 5m or 1h' : String(err),
        );
      }
    });
}
