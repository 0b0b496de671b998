import { describe, expect, it } from 'vitest';
import { hotSql, hotSqlFragment, hotStatementName } from './hot-sql';

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

  describe('shared fragments', () => {
    const ofTenant = hotSqlFragment('SELECT name FROM tenants x WHERE x.id = q.tenant_id');
    const alone = (tenant: string) => hotSql`/* hot:tenant_name */ SELECT c.* FROM (SELECT ${tenant}::text AS tenant_id) q CROSS JOIN LATERAL (${ofTenant}) c`;
    const inside = (id: string, tenant: string) =>
      hotSql`/* hot:tenant_name_of */ SELECT t.id, c.* FROM t JOIN LATERAL (SELECT t.tenant_id) q ON true CROSS JOIN LATERAL (${ofTenant}) c WHERE t.id = ${id} AND t.tenant_id = ${tenant}`;

    it('splices the fragment text in and numbers only the parameters around it', () => {
      expect(alone('ten_1').text).toBe('/* hot:tenant_name */ SELECT c.* FROM (SELECT $1::text AS tenant_id) q CROSS JOIN LATERAL (SELECT name FROM tenants x WHERE x.id = q.tenant_id) c');
      expect(alone('ten_1').values).toEqual(['ten_1']);
      const s = inside('a', 'ten_2');
      expect(s.text).toBe('/* hot:tenant_name_of */ SELECT t.id, c.* FROM t JOIN LATERAL (SELECT t.tenant_id) q ON true CROSS JOIN LATERAL (SELECT name FROM tenants x WHERE x.id = q.tenant_id) c WHERE t.id = $1 AND t.tenant_id = $2');
      expect(s.values).toEqual(['a', 'ten_2']);
      expect(inside('b', 'ten_3').name).toBe(s.name);
    });

    it('refuses another fragment at a call site whose text was compiled with the first', () => {
      const site = (fragment: unknown) => hotSql`/* hot:varying */ SELECT (${fragment}) AS x`;
      expect(site(ofTenant).text).toBe('/* hot:varying */ SELECT (SELECT name FROM tenants x WHERE x.id = q.tenant_id) AS x');
      expect(() => site(hotSqlFragment('SELECT 2'))).toThrow(/same SQL fragment/);
      expect(() => site('a value')).toThrow(/same SQL fragment/);
    });
  });
});
