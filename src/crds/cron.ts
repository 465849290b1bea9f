/**
 * Syntax checks for CleanupPolicy's schedule and time zone, as regular expressions that both
 * JavaScript and the API server's RE2 accept. They check syntax and ranges only; what a schedule
 * means is `controllers/cleanup-policy/schedule.ts`'s business.
 */

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Upper- and lower-case forms, since both are common in crontabs. */
function names(list: readonly string[]): string {
  return [...list, ...list.map((n) => n.toLowerCase())].join('|');
}

/** Numbers and names one field accepts, as a regex alternative. */
const FIELD_VALUES = {
  minute: '[0-5]?[0-9]',
  hour: '[01]?[0-9]|2[0-3]',
  dayOfMonth: '0?[1-9]|[12][0-9]|3[01]',
  month: `0?[1-9]|1[0-2]|${names(MONTHS)}`,
  dayOfWeek: `[0-7]|${names(WEEKDAYS)}`,
} as const;

/** One field: a comma list of `*`, a value or a range, each with an optional `/step`. */
function field(values: string): string {
  const item = `(\\*|(${values})(-(${values}))?)(/[0-9]{1,2})?`;
  return `${item}(,${item})*`;
}

/**
 * Five space-separated fields: minute, hour, day of month, month, day of week. Macros (`@daily`)
 * and a seconds field are not accepted, so every tool that reads crontabs reads these the same way.
 */
export const CRON_PATTERN = `^${[
  FIELD_VALUES.minute,
  FIELD_VALUES.hour,
  FIELD_VALUES.dayOfMonth,
  FIELD_VALUES.month,
  FIELD_VALUES.dayOfWeek,
]
  .map(field)
  .join(' ')}$`;

/**
 * An IANA time zone name (`Europe/Berlin`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`) or
 * `UTC`. Only the syntax is checked here; an unknown zone is reported by the controller.
 */
export const TIME_ZONE_PATTERN = '^(UTC|[A-Z][A-Za-z]+(/[A-Za-z0-9]+([_+-][A-Za-z0-9]+)*){1,2})$';
