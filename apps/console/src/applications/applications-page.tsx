import { useId, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Application } from '../api/types';
import { useHerald } from '../app/herald-context';
import { DialogButton, PagerControls, TableWrap } from '../ui/controls';
import { formatTime } from '../ui/format';
import { usePager } from '../ui/pager';
import { Empty, ErrorMessage, QueryView } from '../ui/states';
import { useApplicationLookup, useApplications, useCreateApplication } from './queries';

/** Applications on the loaded page whose name, uid or id contains the term (case-insensitive). */
export function matchApplications<T extends Pick<Application, 'id' | 'uid' | 'name'>>(apps: T[], term: string): T[] {
  const t = term.trim().toLowerCase();
  if (t === '') return apps;
  return apps.filter((a) => a.name.toLowerCase().includes(t) || (a.uid ?? '').toLowerCase().includes(t) || a.id.toLowerCase().includes(t));
}

function CreateApplicationForm({ close }: { close: () => void }) {
  const id = useId();
  const create = useCreateApplication();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [uid, setUid] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { name: name.trim(), uid: uid.trim() === '' ? null : uid.trim() },
      {
        onSuccess: (app) => {
          close();
          void navigate(`/applications/${app.id}`);
        },
      },
    );
  };
  return (
    <form className="form" onSubmit={submit}>
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} type="text" required value={name} onChange={(e) => setName(e.target.value)} />
      <label htmlFor={`${id}-uid`}>UID (optional)</label>
      <input id={`${id}-uid`} type="text" value={uid} onChange={(e) => setUid(e.target.value)} aria-describedby={`${id}-uid-hint`} />
      <p className="hint" id={`${id}-uid-hint`}>
        Your own identifier for this customer; usable in place of the id.
      </p>
      {create.isError ? <ErrorMessage error={create.error} title="Not created" /> : null}
      <div className="actions">
        <button type="button" className="secondary" onClick={close}>
          Cancel
        </button>
        <button type="submit" disabled={create.isPending}>
          Create
        </button>
      </div>
    </form>
  );
}

export function ApplicationsPage() {
  const { abilities } = useHerald();
  const id = useId();
  const pager = usePager();
  const [term, setTerm] = useState('');
  const apps = useApplications(pager.iterator);
  const lookup = useApplicationLookup(term);
  return (
    <section aria-labelledby="apps-heading">
      <div className="title-row">
        <h1 id="apps-heading">Applications</h1>
        {abilities.manageTenant ? <DialogButton label="Create application" title="Create application">{(close) => <CreateApplicationForm close={close} />}</DialogButton> : null}
      </div>
      <div className="search" role="search">
        <label htmlFor={`${id}-search`}>Search applications</label>
        <input id={`${id}-search`} type="search" value={term} onChange={(e) => setTerm(e.target.value)} placeholder="Name on this page, or an exact id or uid" />
      </div>
      {lookup.data ? (
        <p className="notice">
          Exact match: <Link to={`/applications/${lookup.data.id}`}>{lookup.data.name}</Link> <span className="mono small">{lookup.data.id}</span>
        </p>
      ) : null}
      <QueryView query={apps} what="applications">
        {(list) => {
          const shown = matchApplications(list.data, term);
          if (list.data.length === 0 && pager.page === 1) return <Empty>No applications yet.{abilities.manageTenant ? ' Create one for each of your customers.' : ''}</Empty>;
          return (
            <>
              {shown.length === 0 ? (
                <Empty>No application on this page matches “{term}”.</Empty>
              ) : (
                <TableWrap label="Applications">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Name</th>
                        <th scope="col">UID</th>
                        <th scope="col" className="hide-narrow">Id</th>
                        <th scope="col">Created</th>
                      </tr>
                    </thead>
                    <tbody>
                      {shown.map((app) => (
                        <tr key={app.id}>
                          <td>
                            <Link to={`/applications/${app.id}`}>{app.name}</Link>
                          </td>
                          <td className="mono small">{app.uid ?? '—'}</td>
                          <td className="mono small hide-narrow">{app.id}</td>
                          <td className="nowrap">{formatTime(app.createdAt)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
              )}
              <PagerControls pager={pager} done={list.done} nextIterator={list.iterator} label="Applications" />
            </>
          );
        }}
      </QueryView>
    </section>
  );
}
