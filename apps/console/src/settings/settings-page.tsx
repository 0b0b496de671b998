import { useId, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '../api/client';
import type { TenantSettings } from '../api/types';
import { useHerald } from '../app/herald-context';
import { ErrorMessage, QueryView } from '../ui/states';

type SettingsPatch = {
  payloadRetentionDays: number;
  attemptRetentionDays: number;
  metadataRetentionDays: number;
  operationalWebhookUrl: string | null;
  throttleRate: number | null;
  sendSvixHeaders: boolean;
};

function SettingsForm({ settings }: { settings: TenantSettings }) {
  const id = useId();
  const { client, abilities } = useHerald();
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: (body: SettingsPatch) => unwrap(client.PATCH('/api/v1/tenant/settings', { body })),
    onSuccess: (next) => queryClient.setQueryData(['settings'], next),
  });
  const [payload, setPayload] = useState(String(settings.payloadRetentionDays));
  const [attempt, setAttempt] = useState(String(settings.attemptRetentionDays));
  const [metadata, setMetadata] = useState(String(settings.metadataRetentionDays));
  const [url, setUrl] = useState(settings.operationalWebhookUrl ?? '');
  const [throttle, setThrottle] = useState(settings.throttleRate === null ? '' : String(settings.throttleRate));
  const [svix, setSvix] = useState(settings.sendSvixHeaders);
  const [showSecret, setShowSecret] = useState(false);
  const readOnly = !abilities.manageTenant;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({
      payloadRetentionDays: Number(payload),
      attemptRetentionDays: Number(attempt),
      metadataRetentionDays: Number(metadata),
      operationalWebhookUrl: url.trim() === '' ? null : url.trim(),
      throttleRate: throttle.trim() === '' ? null : Number(throttle),
      sendSvixHeaders: svix,
    });
  };
  const days = (label: string, value: string, set: (v: string) => void, key: string) => (
    <>
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <input id={`${id}-${key}`} type="number" min={1} max={3650} required value={value} onChange={(e) => set(e.target.value)} readOnly={readOnly} />
    </>
  );
  return (
    <form className="form" onSubmit={submit}>
      <fieldset>
        <legend>Retention (days)</legend>
        {days('Message payloads', payload, setPayload, 'payload')}
        {days('Attempt response bodies', attempt, setAttempt, 'attempt')}
        {days('Messages and attempts (metadata)', metadata, setMetadata, 'metadata')}
      </fieldset>
      <fieldset>
        <legend>Operational webhook</legend>
        <label htmlFor={`${id}-url`}>Operational webhook URL</label>
        <input id={`${id}-url`} type="url" value={url} onChange={(e) => setUrl(e.target.value)} readOnly={readOnly} placeholder="https://ops.example.com/herald" />
        <p className="hint">Herald tells this URL about endpoint changes and endpoints it disabled.</p>
        {settings.operationalWebhookSecret ? (
          <p>
            Signing secret:{' '}
            {showSecret ? <code className="secret">{settings.operationalWebhookSecret}</code> : <span className="muted">hidden</span>}{' '}
            <button type="button" className="secondary" onClick={() => setShowSecret((s) => !s)}>
              {showSecret ? 'Hide secret' : 'Show secret'}
            </button>
          </p>
        ) : null}
      </fieldset>
      <fieldset>
        <legend>Delivery</legend>
        <label htmlFor={`${id}-throttle`}>Default rate limit per endpoint (messages per second)</label>
        <input id={`${id}-throttle`} type="number" min={1} max={65535} value={throttle} onChange={(e) => setThrottle(e.target.value)} readOnly={readOnly} />
        <label className="check">
          <input type="checkbox" checked={svix} onChange={(e) => setSvix(e.target.checked)} disabled={readOnly} /> Also send svix-* signature headers
        </label>
      </fieldset>
      {save.isError ? <ErrorMessage error={save.error} title="Settings not saved" /> : null}
      {save.isSuccess ? (
        <p role="status" className="notice">
          Settings saved.
        </p>
      ) : null}
      {readOnly ? null : (
        <div className="actions">
          <button type="submit" disabled={save.isPending}>
            Save
          </button>
        </div>
      )}
    </form>
  );
}

export function SettingsPage() {
  const { client } = useHerald();
  const settings = useQuery({ queryKey: ['settings'], queryFn: () => unwrap(client.GET('/api/v1/tenant/settings')) });
  return (
    <section aria-labelledby="settings-heading">
      <h1 id="settings-heading">Settings</h1>
      <QueryView query={settings} what="settings">
        {(s) => <SettingsForm settings={s} />}
      </QueryView>
    </section>
  );
}
