import { describe, expect, it } from 'vitest';
import { colorEnabled, painter, stripAnsi } from './color.ts';
import { cell, renderTable } from './table.ts';

describe('renderTable', () => {
  it('pads columns like kubectl, upper-cases headers and trims trailing space', () => {
    const out = renderTable(
      ['name', 'ready', 'message'],
      [
        [cell('shop-pull'), cell('True'), cell('fine')],
        [cell('x'), cell('False'), cell('')],
      ],
    );
    expect(out).toBe(
      ['NAME        READY   MESSAGE', 'shop-pull   True    fine', 'x           False', ''].join('\n'),
    );
  });

  it('cuts only the last column to the width, with an ellipsis', () => {
    const out = renderTable(['a', 'message'], [[cell('x'), cell('a very long message indeed')]], {
      maxWidth: 14,
    });
    expect(out.split('\n')[1]).toBe('x   a very lo…');
    expect(out.split('\n')[1]?.length).toBe(14);
  });

  it('lines coloured cells up as if they were plain, and puts each object on one line', () => {
    const paint = painter(true);
    const out = renderTable(
      ['ready', 'message'],
      [
        [cell('True', 'green'), cell('one\ntwo')],
        [cell('Stalled', 'red'), cell('x')],
      ],
      { paint },
    );
    expect(out).toContain('\u001b[32m');
    expect(stripAnsi(out)).toBe(['READY     MESSAGE', 'True      one two', 'Stalled   x', ''].join('\n'));
  });
});

describe('colorEnabled', () => {
  it.each([
    [true, {}, true],
    [false, {}, false],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true],
    [false, { FORCE_COLOR: '1' }, true],
    [true, { FORCE_COLOR: '0' }, false],
    [true, { TERM: 'dumb' }, false],
    [true, { NO_COLOR: '1', FORCE_COLOR: '1' }, false],
  ])('tty %s with %j: %s', (tty, env, want) => {
    expect(colorEnabled(tty, env as NodeJS.ProcessEnv)).toBe(want);
  });

  it('paints nothing when off', () => {
    expect(painter(false)('x', 'red')).toBe('x');
  });
});
