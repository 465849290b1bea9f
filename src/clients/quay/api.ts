import type { z } from 'zod';
import { RESPONSE_LIMITS } from '../http/body.ts';
import { encodePath, type HttpClient, type HttpResponse, type RequestOptions } from '../http/client.ts';
import { PageLoopGuard, pageLoopError } from '../http/pages.ts';
import {
  type AutoPrunePolicyBody,
  type AutoPruneTarget,
  autoPrunePath,
  repoPath,
  type TagListOptions,
} from './api-shapes.ts';
import { csrfRefusal, mayBeMissingRepository, missingRepository } from './quirks.ts';
import {
  AutoPrunePolicyListSchema,
  AutoPrunePolicySchema,
  AutoPruneUuidSchema,
  CreatedSchema,
  OrganizationSchema,
  PermissionMapSchema,
  PermissionSchema,
  type QuayRepositorySummary,
  type QuayRole,
  type QuayTag,
  RepositoryCreatedSchema,
  RepositoryListSchema,
  RepositorySchema,
  RobotListSchema,
  RobotPermissionsSchema,
  RobotSchema,
  TagListSchema,
  UserSchema,
} from './schemas.ts';

/**
 * One method per Quay endpoint berth uses, on the shared HttpClient (base URL `<quay>/api/v1`).
 * Errors are the typed errors of http/errors.ts; note Quay's codes: a missing organization is a
 * 403 everywhere except `getOrganization` (404), a missing robot a 400 "Could not find robot", and
 * a write with a bad token a 403 CSRF refusal, reported as the UnauthorizedError it is.
 */
export class QuayApi {
  readonly http: HttpClient;

  constructor(http: HttpClient) {
    this.http = http;
  }

  /** One request on the HttpClient, with Quay's misleading refusals made plain (quirks.ts). */
  private async send<S extends z.ZodType | undefined = undefined>(
    options: RequestOptions<S>,
  ): Promise<HttpResponse<S extends z.ZodType ? z.infer<S> : undefined>> {
    try {
      return await this.http.request(options);
    } catch (err) {
      throw csrfRefusal(err) ?? err;
    }
  }

  /** `GET /user/`: the token's user; 401 for an invalid or expired token. */
  async getUser() {
    return (await this.send({ operation: 'user.get', method: 'GET', path: '/user/', schema: UserSchema }))
      .data;
  }

  /** `GET /organization/{org}`: the only existence check that answers 404. */
  async getOrganization(organization: string) {
    const path = encodePath`/organization/${organization}`;
    return (
      await this.send({
        operation: 'organizations.get',
        method: 'GET',
        path,
        schema: OrganizationSchema,
      })
    ).data;
  }

  /** `POST /organization/` (201 "Created"); a taken name or no email is a 400. Never retried. */
  async createOrganization(body: { name: string; email?: string }): Promise<void> {
    await this.send({
      operation: 'organizations.create',
      method: 'POST',
      path: '/organization/',
      body,
      schema: CreatedSchema,
    });
  }

  /** `PUT /organization/{org}`: changes e-mail or the time machine (`tag_expiration_s`). */
  async updateOrganization(organization: string, body: { email?: string; tag_expiration_s?: number }) {
    const path = encodePath`/organization/${organization}`;
    return (
      await this.send({
        operation: 'organizations.update',
        method: 'PUT',
        path,
        body,
        schema: OrganizationSchema,
      })
    ).data;
  }

  /** `DELETE /organization/{org}` (204; the content is collected asynchronously). */
  async deleteOrganization(organization: string): Promise<void> {
    await this.send({
      operation: 'organizations.delete',
      method: 'DELETE',
      path: encodePath`/organization/${organization}`,
    });
  }

  /** `GET /organization/{org}/robots`; pass `token: false` unless the tokens are really needed. */
  async listRobots(
    organization: string,
    options: { token?: boolean; permissions?: boolean; limit?: number } = {},
  ) {
    const res = await this.send({
      operation: 'robots.list',
      method: 'GET',
      path: encodePath`/organization/${organization}/robots`,
      query: {
        token: options.token ?? false,
        permissions: options.permissions ?? false,
        limit: options.limit,
      },
      schema: RobotListSchema,
      // Quay does not page this list: an organization with many robots answers with all of them.
      maxResponseBytes: RESPONSE_LIMITS.unpaged,
    });
    return res.data.robots;
  }

  /** `GET /organization/{org}/robots/{short}`: includes the token for organization administrators. */
  async getRobot(organization: string, shortname: string) {
    const path = encodePath`/organization/${organization}/robots/${shortname}`;
    return (await this.send({ operation: 'robots.get', method: 'GET', path, schema: RobotSchema })).data;
  }

  /**
   * `PUT /organization/{org}/robots/{short}` (201 with the token). Not idempotent although a PUT:
   * an existing name is a 400 "Existing robot", so it is never retried, except once when the
   * server closed a reused connection before answering: a server that did act on the first copy
   * answers the second "Existing robot", which the caller resolves by name.
   */
  async createRobot(
    organization: string,
    shortname: string,
    body: { description?: string; unstructured_metadata?: Record<string, unknown> },
  ) {
    const path = encodePath`/organization/${organization}/robots/${shortname}`;
    return (
      await this.send({
        operation: 'robots.create',
        method: 'PUT',
        path,
        body,
        schema: RobotSchema,
        idempotent: false,
        retryOnStaleConnection: true,
      })
    ).data;
  }

  /** `DELETE /organization/{org}/robots/{short}` (204; a missing robot is a 400). */
  async deleteRobot(organization: string, shortname: string): Promise<void> {
    const path = encodePath`/organization/${organization}/robots/${shortname}`;
    await this.send({ operation: 'robots.delete', method: 'DELETE', path });
  }

  /** `POST .../robots/{short}/regenerate` (200 with the new token); the old token dies at once. */
  async regenerateRobot(organization: string, shortname: string) {
    const path = encodePath`/organization/${organization}/robots/${shortname}/regenerate`;
    return (await this.send({ operation: 'robots.regenerate', method: 'POST', path, schema: RobotSchema }))
      .data;
  }

  /** `GET .../robots/{short}/permissions`: the robot's repository roles (needs the user:admin scope). */
  async getRobotPermissions(organization: string, shortname: string) {
    const path = encodePath`/organization/${organization}/robots/${shortname}/permissions`;
    const res = await this.send({
      operation: 'robots.permissions',
      method: 'GET',
      path,
      schema: RobotPermissionsSchema,
    });
    return res.data.permissions;
  }

  /** `GET /repository?namespace=`: one page of an organization's repositories. */
  async listRepositories(namespace: string, nextPage?: string) {
    return (
      await this.send({
        operation: 'repositories.list',
        method: 'GET',
        path: '/repository',
        query: { namespace, next_page: nextPage },
        schema: RepositoryListSchema,
      })
    ).data;
  }

  /** Every repository of an organization, following `next_page`. */
  async *repositories(namespace: string): AsyncGenerator<QuayRepositorySummary> {
    const guard = new PageLoopGuard<QuayRepositorySummary>(
      (r) => r.name,
      loop('repositories.list', '/repository'),
    );
    let next: string | undefined;
    do {
      const page = await this.listRepositories(namespace, next);
      guard.page(page.repositories);
      yield* page.repositories;
      next = page.next_page ?? undefined;
      if (next) guard.follow(next);
    } while (next);
  }

  /** `GET /repository/{org}/{repo}`: 404 when missing (for organization readers). */
  async getRepository(organization: string, repository: string) {
    const path = repoPath(organization, repository);
    return (
      await this.send({
        operation: 'repositories.get',
        method: 'GET',
        path,
        schema: RepositorySchema,
      })
    ).data;
  }

  /** `POST /repository` (201); an existing name is a 400 "Repository already exists". */
  async createRepository(body: {
    namespace: string;
    repository: string;
    visibility: 'public' | 'private';
    description: string;
  }) {
    const res = await this.send({
      operation: 'repositories.create',
      method: 'POST',
      path: '/repository',
      body: { ...body, repo_kind: 'image' },
      schema: RepositoryCreatedSchema,
    });
    return res.data;
  }

  /** `DELETE /repository/{org}/{repo}` (204, also when it is already gone). */
  async deleteRepository(organization: string, repository: string): Promise<void> {
    await this.send({
      operation: 'repositories.delete',
      method: 'DELETE',
      path: repoPath(organization, repository),
    });
  }

  /** `GET .../permissions/user/`: the user and robot roles, keyed by name. */
  async listUserPermissions(organization: string, repository: string) {
    const path = `${repoPath(organization, repository)}/permissions/user/`;
    return (
      await this.send({
        operation: 'permissions.list',
        method: 'GET',
        path,
        schema: PermissionMapSchema,
      })
    ).data.permissions;
  }

  /**
   * `PUT .../permissions/user/{name}`: an upsert of one user's or robot's role. Quay v3.18.0
   * crashes (500, an HTML page) on a grant to a repository that does not exist, so a 500 is not
   * retried blindly: a GET of the repository tells a missing one (a NotFoundError naming it) from a
   * server failure, which then gets the usual retries.
   */
  async setUserPermission(organization: string, repository: string, username: string, role: QuayRole) {
    const path = `${repoPath(organization, repository)}${encodePath`/permissions/user/${username}`}`;
    const put = (finalStatuses: readonly number[]) =>
      this.send({
        operation: 'permissions.set',
        method: 'PUT',
        path,
        body: { role },
        schema: PermissionSchema,
        finalStatuses,
      });
    try {
      return (await put([500])).data;
    } catch (err) {
      if (!mayBeMissingRepository(err)) throw err;
      const missing = await missingRepository(this, organization, repository, err);
      if (missing) throw missing;
      return (await put([])).data;
    }
  }

  /** `DELETE .../permissions/user/{name}` (204; 400 when there was none). */
  async deleteUserPermission(organization: string, repository: string, username: string): Promise<void> {
    const path = `${repoPath(organization, repository)}${encodePath`/permissions/user/${username}`}`;
    await this.send({ operation: 'permissions.delete', method: 'DELETE', path });
  }

  /** `GET .../tag/`: one page of tags, newest first. */
  async listTags(organization: string, repository: string, options: TagListOptions = {}) {
    const res = await this.send({
      operation: 'tags.list',
      method: 'GET',
      path: `${repoPath(organization, repository)}/tag/`,
      query: {
        page: options.page,
        limit: options.limit,
        onlyActiveTags: options.onlyActiveTags,
        specificTag: options.specificTag,
        filter_tag_name: options.filterTagName,
      },
      schema: TagListSchema,
    });
    return res.data;
  }

  /** Every tag of a repository, following `page` while `has_additional`. */
  async *tags(
    organization: string,
    repository: string,
    options: Omit<TagListOptions, 'page'> = {},
  ): AsyncGenerator<QuayTag> {
    // A tag's history has the same name several times; a name with its start is one entry.
    const guard = new PageLoopGuard<QuayTag>(
      (t) => `${t.name} ${t.start_ts} ${t.manifest_digest}`,
      loop('tags.list', `${repoPath(organization, repository)}/tag/`),
    );
    for (let page = 1; ; page++) {
      const res = await this.listTags(organization, repository, { limit: 100, ...options, page });
      guard.page(res.tags);
      yield* res.tags;
      if (!res.has_additional || res.tags.length === 0) return;
    }
  }

  /** `PUT .../tag/{tag}` with `expiration` (Unix seconds, in the future) or null to clear it (201). */
  async setTagExpiration(organization: string, repository: string, tag: string, expiration: number | null) {
    const path = `${repoPath(organization, repository)}${encodePath`/tag/${tag}`}`;
    await this.send({ operation: 'tags.expire', method: 'PUT', path, body: { expiration } });
  }

  /** `DELETE .../tag/{tag}` (204): moves it to the time machine; 404 when not active, 409 when immutable. */
  async deleteTag(organization: string, repository: string, tag: string): Promise<void> {
    const path = `${repoPath(organization, repository)}${encodePath`/tag/${tag}`}`;
    await this.send({ operation: 'tags.delete', method: 'DELETE', path });
  }

  /** `GET .../autoprunepolicy/` (404 when the instance has no FEATURE_AUTO_PRUNE). */
  async listAutoPrunePolicies(target: AutoPruneTarget) {
    const res = await this.send({
      operation: 'autoprune.list',
      method: 'GET',
      path: autoPrunePath(target),
      schema: AutoPrunePolicyListSchema,
    });
    return res.data.policies;
  }

  /** `GET .../autoprunepolicy/{uuid}`. */
  async getAutoPrunePolicy(target: AutoPruneTarget, uuid: string) {
    const path = autoPrunePath(target) + encodeURIComponent(uuid);
    return (
      await this.send({
        operation: 'autoprune.get',
        method: 'GET',
        path,
        schema: AutoPrunePolicySchema,
      })
    ).data;
  }

  /** `POST .../autoprunepolicy/` (201 `{uuid}`); an identical policy is a 400. */
  async createAutoPrunePolicy(target: AutoPruneTarget, body: AutoPrunePolicyBody): Promise<string> {
    const res = await this.send({
      operation: 'autoprune.create',
      method: 'POST',
      path: autoPrunePath(target),
      body,
      schema: AutoPruneUuidSchema,
    });
    return res.data.uuid;
  }

  /** `PUT .../autoprunepolicy/{uuid}` (204, no body). */
  async updateAutoPrunePolicy(
    target: AutoPruneTarget,
    uuid: string,
    body: AutoPrunePolicyBody,
  ): Promise<void> {
    const path = autoPrunePath(target) + encodeURIComponent(uuid);
    await this.send({ operation: 'autoprune.update', method: 'PUT', path, body });
  }

  /** `DELETE .../autoprunepolicy/{uuid}` (200 `{uuid}`). */
  async deleteAutoPrunePolicy(target: AutoPruneTarget, uuid: string): Promise<void> {
    const path = autoPrunePath(target) + encodeURIComponent(uuid);
    await this.send({
      operation: 'autoprune.delete',
      method: 'DELETE',
      path,
      schema: AutoPruneUuidSchema,
    });
  }
}

/** The failure of a GET listing that keeps answering the same page. */
function loop(operation: string, path: string) {
  return (reason: string) => pageLoopError({ provider: 'quay', operation, method: 'GET', path }, reason);
}
