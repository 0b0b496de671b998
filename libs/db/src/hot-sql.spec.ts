import { describe, expect, it } from 'vitest';
import { hotSql, hotStatementName } from './hot-sql';

describe('hotSql', () => {
  const statement = (id: string, tenant: string) => hotSql<{ id: string }>`/* hot:find_it */ SELECT id FROM t WHERE id = ${id} AND tenant_id = ${tenant}`;

  it('numbers each interpolation as a parameter and keeps the values in order', () => {
    const s = statement('a', 'ten_1');
    expect(s.text).toBe('/* hot:find_it */ SELECT id FROM t WHERE id = $1 AND tenant_id = $2');
    expect(s.values).toEqual(['a', 'ten_1']);
  });

  it('names the prepared statement after its marker and text, the same at every call', () => {
    const a = statement('a', 'x');
    const b = statement('b', 'y');
    expect(a.name).toMatch(/^hot_find_it_[0-9a-f]{10}$/);
    expect(b.name).toBe(a.name);
    // The name Prisma's adapter gives the same text (when run inside a transaction) is the same.
    expect(hotStatementName(a.text)).toBe(a.name);
  });

  it('gives two texts with one marker two names', () => {
    const other = hotSql`/* hot:find_it */ SELECT 1 WHERE ${1} = 1`;
    expect(other.name).not.toBe(statement('a', 'b').name);
  });

  it('leaves a plan=each statement unnamed (planned on every call), labelled by its marker', () => {
    const s = hotSql`/* hot:record plan=each */ UPDATE t SET x = ${1}`;
    expect(s.name).toBeUndefined();
    expect(s.label).toBe('record');
    expect(hotStatementName(s.text)).toBeUndefined();
    expect(statement('a', 'b').label).toBe('find_it');
  });

  it('names a plan=fixed statement for its own pool, but leaves it unnamed for Prisma (in a transaction)', () => {
    const s = hotSql`/* hot:claim plan=fixed */ UPDATE t SET x = ${1}`;
    expect(s.plan).toBe('fixed');
    expect(s.name).toMatch(/^hot_claim_[0-9a-f]{10}$/);
    expect(hotStatementName(s.text)).toBeUndefined();
    expect(statement('a', 'b').plan).toBe('cached');
  });

  it('refuses a statement without a marker', () => {
    expect(() => hotSql`SELECT ${1}`).toThrow(/hot:name/);
    expect(hotStatementName('SELECT 1')).toBeUndefined();
  });
});
