/**
 * When the images of one CRaaS repository were pushed, as far as the API can tell.
 *
 * The seed (003) gives an image no push time: its `createdAt` sits with `architecture`, `os` and
 * `layers`, so it is the image config's creation time, which the build sets. Reproducible builds
 * (ko, Jib, Bazel, Nix) set it to 1970-01-01 or 0001-01-01, so an age rule on it would delete an
 * image pushed a minute ago. The one time the API keeps itself is the repository's `updatedAt`
 * (sortable, `sort_field=updatedAt`). Read after the images were listed, no listed image can have
 * been pushed later than it. So each image gets the latest moment it can have been pushed, and age
 * rules err towards keeping: on Selectel `olderThan` and `minAge` count from the repository's last
 * change.
 */
import { parseTime } from './context.ts';

/**
 * The latest possible push time of each image, in the order given: the repository's `updatedAt`
 * (or the image's own `createdAt` when that is later, e.g. with clock skew), plus one millisecond
 * per rank of `createdAt` in the repository. The offset keeps the order of the config times, so
 * `keepLast` still ranks the newest build first, and it only ever moves a time later, which keeps
 * more, never less. Unknown times (no `updatedAt`, an unreadable `createdAt`) give an Invalid Date,
 * which the planner keeps as "unknown push time"; never the epoch, which would read as ancient.
 */
export function latestPushTimes(createdAt: readonly string[], updatedAt: string | undefined): Date[] {
  const bound = parseTime(updatedAt)?.getTime();
  const built = createdAt.map((value) => parseTime(value)?.getTime());
  // Equal config times share a rank, so images built in the same second stay equal for the planner.
  const distinct = [...new Set(built.filter((t): t is number => t !== undefined))].sort((a, b) => a - b);
  const rank = new Map(distinct.map((t, i) => [t, i]));
  return built.map((t) =>
    bound === undefined || t === undefined
      ? new Date(Number.NaN)
      : new Date(Math.max(bound, t) + (rank.get(t) ?? 0)),
  );
}
