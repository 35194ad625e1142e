import { expect } from 'chai';
import { codingChooser } from '../../lib/koa/coding-chooser.js';

describe('codingChooser: negotiateEncoding over fixed codings, with the last field value remembered', () => {
  it('answers each value as negotiateEncoding does, whatever came before (RFC 9110 12.5.3)', () => {
    const choose = codingChooser(['br', 'gzip']);
    const cases: [string | string[] | undefined, string][] = [
      ['gzip', 'gzip'],
      ['gzip', 'gzip'],
      ['gzip, br', 'br'],
      ['br;q=0.5, gzip', 'gzip'],
      ['identity', 'identity'],
      ['gzip;q=0, br;q=0', 'identity'],
      // Nothing acceptable, identity included: identity all the same (the caller sends it).
      ['identity;q=0', 'identity'],
      ['gzip', 'gzip'],
      [['gzip;q=0', 'br'], 'br'],
      // No field: no preference, and identity is what every client can read.
      [undefined, 'identity'],
      ['', 'identity'],
      ['gzip, br', 'br'],
    ];
    for (const [value, expected] of cases) expect(choose(value), JSON.stringify(value)).to.equal(expected);
  });

  it('does not share what it remembers between choosers of different codings', () => {
    const gzipOnly = codingChooser(['gzip']);
    const brFirst = codingChooser(['br', 'gzip']);
    expect(gzipOnly('br, gzip')).to.equal('gzip');
    expect(brFirst('br, gzip')).to.equal('br');
    expect(gzipOnly('br, gzip')).to.equal('gzip');
  });
});
