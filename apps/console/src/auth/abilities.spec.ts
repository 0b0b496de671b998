import { describe, expect, it } from 'vitest';
import { abilitiesOf, isReadOnly, type Session } from './abilities';

const session = (overrides: Partial<Session>): Session => ({ kind: 'api_key', tenantId: 't', appId: null, scopes: [], capabilities: [], expiresAt: null, ...overrides });
const FULL: Session['capabilities'] = ['ViewBase', 'ViewEndpointSecret', 'ManageEndpointSecret', 'CreateAttempts', 'ManageEndpoint'];

describe('abilitiesOf', () => {
  it('gives a full portal token every endpoint control and no tenant pages', () => {
    const a = abilitiesOf(session({ kind: 'app_portal', appId: 'app_1', capabilities: FULL }));
    expect(a).toEqual({ read: true, manageEndpoints: true, revealSecret: true, rotateSecret: true, createAttempts: true, manageTenant: false, tenantPages: false, operator: false });
    expect(isReadOnly(a)).toBe(false);
  });

  it('gives a read-only portal token (ViewBase) reading only: no secret, no resend, no change', () => {
    const a = abilitiesOf(session({ kind: 'app_portal', appId: 'app_1', capabilities: ['ViewBase'] }));
    expect(a).toEqual({ read: true, manageEndpoints: false, revealSecret: false, rotateSecret: false, createAttempts: false, manageTenant: false, tenantPages: false, operator: false });
    expect(isReadOnly(a)).toBe(true);
  });

  it('follows each capability on its own', () => {
    const a = abilitiesOf(session({ kind: 'app_portal', capabilities: ['ViewBase', 'ViewEndpointSecret', 'CreateAttempts'] }));
    expect([a.revealSecret, a.rotateSecret, a.createAttempts, a.manageEndpoints]).toEqual([true, false, true, false]);
  });

  it('maps API key scopes: all changes everything, read only reads, send reads nothing', () => {
    const all = abilitiesOf(session({ scopes: ['all'] }));
    expect([all.read, all.manageTenant, all.revealSecret, all.tenantPages, all.operator]).toEqual([true, true, true, true, false]);
    const read = abilitiesOf(session({ scopes: ['read'] }));
    expect([read.read, read.manageTenant, read.revealSecret, read.createAttempts, read.tenantPages]).toEqual([true, false, false, false, true]);
    expect(isReadOnly(read)).toBe(true);
    const send = abilitiesOf(session({ scopes: ['send'] }));
    expect(Object.values(send).some(Boolean)).toBe(false);
  });

  it('gives the operator the operator pages only', () => {
    const a = abilitiesOf(session({ kind: 'operator', tenantId: null }));
    expect(a.operator).toBe(true);
    expect([a.read, a.tenantPages, a.manageTenant]).toEqual([false, false, false]);
  });
});
