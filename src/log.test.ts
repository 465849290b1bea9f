import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';

function capture() {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
  return { logger, text: () => lines.join('') };
}

describe('createLogger', () => {
  it('redacts credential fields at any of the first levels', () => {
    const { logger, text } = capture();
    logger.info(
      { token: 'tok-AAA', creds: { password: 'pw-BBB' }, req: { headers: { authorization: 'Bearer CCC' } } },
      'x',
    );
    logger.warn({ secret: { data: { '.dockerconfigjson': 'DDD' } } }, 'y');
    const out = text();
    for (const value of ['tok-AAA', 'pw-BBB', 'Bearer CCC', 'DDD']) expect(out).not.toContain(value);
    expect(out).toContain('[redacted]');
  });

  it('writes JSON lines with the level as a word', () => {
    const { logger, text } = capture();
    logger.info({ key: 'ns/name' }, 'reconciled');
    expect(JSON.parse(text())).toMatchObject({
      level: 'info',
      app: 'berth',
      key: 'ns/name',
      msg: 'reconciled',
    });
  });
});
