import { SimError, type SimRequest } from '../core/server.ts';
import { jsonBody, type QuaySimContext, truthy } from './context.ts';
import { formatDate, isActive, type SimRepository, type SimTag } from './state.ts';

/** What flask's bare `abort(400)` answers (Quay uses it for a past tag expiration). */
const BARE_400 = { message: 'The browser (or proxy) sent a request that this server could not understand.' };

function tagView(tag: SimTag): Record<string, unknown> {
  const view: Record<string, unknown> = {
    name: tag.name,
    reversion: tag.reversion,
    start_ts: Math.floor(tag.start / 1000),
    manifest_digest: tag.digest,
    is_manifest_list: tag.isManifestList,
    size: tag.size,
    last_modified: formatDate(tag.start),
  };
  if (tag.end !== undefined) {
    view.end_ts = Math.floor(tag.end / 1000);
    view.expiration = formatDate(tag.end);
  }
  if (tag.immutable) view.immutable = true;
  return view;
}

function positiveInt(ctx: QuaySimContext, value: string | null, fallback: number, name: string): number {
  if (value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw ctx.errors.invalidRequest(`${name} must be an integer`);
  return n;
}

async function listTags(ctx: QuaySimContext, req: SimRequest) {
  const { org, repo } = ctx.access.existingRepository(
    req,
    req.params.ns ?? '',
    req.params.repo ?? '',
    'read',
  );
  await ctx.mirror?.syncRepository(org, repo);
  const now = ctx.now();
  const page = Math.max(1, positiveInt(ctx, req.query.get('page'), 1, 'page'));
  const limit = Math.min(100, Math.max(1, positiveInt(ctx, req.query.get('limit'), 50, 'limit')));
  let tags = [...repo.tags];
  if (truthy(req.query.get('onlyActiveTags'), false)) tags = tags.filter((t) => isActive(t, now));
  const specific = req.query.get('specificTag');
  if (specific) tags = tags.filter((t) => t.name === specific);
  const filter = req.query.get('filter_tag_name');
  if (filter) {
    const [op, text = ''] = filter.split(/:(.*)/s);
    if (op === 'eq') tags = tags.filter((t) => t.name === text);
    else if (op === 'like') tags = tags.filter((t) => t.name.includes(text));
    else throw ctx.errors.invalidRequest('filter_tag_name must be like:<text> or eq:<name>');
  }
  // list_repository_tag_history: newest lifetime start first, then name.
  tags.sort((a, b) => b.start - a.start || a.name.localeCompare(b.name));
  const slice = tags.slice((page - 1) * limit, page * limit);
  return {
    status: 200,
    body: { tags: slice.map(tagView), page, has_additional: tags.length > page * limit },
  };
}

function activeTag(ctx: QuaySimContext, repo: SimRepository, name: string): SimTag {
  const now = ctx.now();
  const tag = repo.tags.find((t) => t.name === name && isActive(t, now));
  if (!tag) throw ctx.errors.notFound();
  return tag;
}

function immutable(ctx: QuaySimContext, tag: SimTag): SimError {
  return new SimError(409, ctx.errors.body(409, 'tag_immutable', `Tag ${tag.name} is immutable`));
}

async function changeTag(ctx: QuaySimContext, req: SimRequest) {
  const { org, repo } = ctx.access.existingRepository(
    req,
    req.params.ns ?? '',
    req.params.repo ?? '',
    'write',
  );
  const body = jsonBody(ctx, req.body);
  await ctx.mirror?.syncRepository(org, repo);
  const tag = activeTag(ctx, repo, req.params.tag ?? '');
  if ('expiration' in body) {
    const expiration = body.expiration;
    if (expiration === null) tag.end = undefined;
    else {
      if (typeof expiration !== 'number' || expiration * 1000 <= ctx.now()) throw new SimError(400, BARE_400);
      tag.end = Math.floor(expiration * 1000);
    }
  }
  if (typeof body.manifest_digest === 'string' && body.manifest_digest !== tag.digest) {
    if (tag.immutable) throw immutable(ctx, tag);
    if (tag.fromRegistry && ctx.mirror) {
      // The registry moves the tag; the next read ends the old row and starts the new one.
      if (!(await ctx.mirror.retarget(org, repo, tag.name, body.manifest_digest)))
        throw ctx.errors.notFound();
      await ctx.mirror.syncRepository(org, repo);
    } else ctx.state.pushTag(repo, tag.name, { digest: body.manifest_digest, at: ctx.now(), size: tag.size });
  }
  return { status: 201, body: 'Updated' };
}

/** `/repository/{ns}/{repo}/tag/...`. */
export function registerTagRoutes(ctx: QuaySimContext): void {
  const { server } = ctx;
  server.route('GET', '/repository/:ns/:repo/tag/', (req) => listTags(ctx, req), { public: true });
  server.route('PUT', '/repository/:ns/:repo/tag/:tag', (req) => changeTag(ctx, req));
  server.route('DELETE', '/repository/:ns/:repo/tag/:tag', async (req) => {
    const { org, repo } = ctx.access.existingRepository(
      req,
      req.params.ns ?? '',
      req.params.repo ?? '',
      'write',
    );
    await ctx.mirror?.syncRepository(org, repo);
    const tag = activeTag(ctx, repo, req.params.tag ?? '');
    if (tag.immutable) throw immutable(ctx, tag);
    // Into the time machine: the row stays in the history with an end time; the registry loses
    // the tag but keeps its manifest, which another tag may still name.
    if (tag.fromRegistry && ctx.mirror) await ctx.mirror.deleteTag(org, repo, tag);
    else tag.end = ctx.now();
    return { status: 204 };
  });
}
