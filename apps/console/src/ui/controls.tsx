import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import type { Pager } from './pager';

/** A horizontally scrollable table region, reachable by keyboard (it can scroll). */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

export function PagerControls({ pager, done, nextIterator, label }: { pager: Pager; done: boolean; nextIterator: string | null | undefined; label: string }) {
  if (pager.page === 1 && done) return null;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" className="secondary" onClick={pager.previous} disabled={pager.page === 1}>
        Previous page
      </button>
      <span>Page {pager.page}</span>
      <button type="button" className="secondary" onClick={() => pager.next(nextIterator)} disabled={done || !nextIterator}>
        Next page
      </button>
    </nav>
  );
}

export type Tone = 'ok' | 'bad' | 'warn' | 'muted' | 'info';

export function Badge({ tone, children }: { tone: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/**
 * A button that asks first, in a modal <dialog> (focus stays inside it, Escape cancels).
 * `confirmLabel` names the button that does it.
 */
export function ConfirmButton({
  label,
  title,
  body,
  confirmLabel,
  onConfirm,
  danger = false,
  disabled = false,
}: {
  label: string;
  title: string;
  body: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  danger?: boolean;
  disabled?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  return (
    <>
      <button type="button" className={danger ? 'danger' : 'secondary'} onClick={() => ref.current?.showModal()} disabled={disabled}>
        {label}
      </button>
      <dialog ref={ref} aria-labelledby={titleId} className="dialog">
        <h2 id={titleId}>{title}</h2>
        <div>{body}</div>
        <div className="actions">
          <button type="button" className="secondary" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button
            type="button"
            className={danger ? 'danger' : undefined}
            onClick={() => {
              ref.current?.close();
              onConfirm();
            }}
          >
            {confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** A modal dialog whose content is a form or a view; opened by its own button. */
export function DialogButton({ label, title, children, className }: { label: string; title: string; children: (close: () => void) => ReactNode; className?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <>
      <button type="button" className={className} onClick={() => setOpen(true)}>
        {label}
      </button>
      <dialog ref={ref} aria-labelledby={titleId} className="dialog wide" onClose={() => setOpen(false)}>
        <h2 id={titleId}>{title}</h2>
        {open ? children(() => setOpen(false)) : null}
      </dialog>
    </>
  );
}

export function JsonBlock({ value, label }: { value: string; label: string }) {
  return (
    <pre className="json" tabIndex={0} aria-label={label}>
      <code>{value}</code>
    </pre>
  );
}
