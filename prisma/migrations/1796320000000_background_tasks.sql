-- Up Migration
-- Background tasks (Svix `qtask_…`): recover, replay-missing, bulk replay and expunge-all
-- run in bounded steps by the retention workers. Each step commits its work together with
-- `cursor` (the last key it handled) and `data` (progress, then the result), so a task
-- resumes after a crash exactly where its last committed step ended. A worker holds a task
-- while `lease_until` is ahead; an expired lease (a dead worker) lets another take it over.
CREATE TABLE background_tasks (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  task        text NOT NULL CHECK (task IN ('endpoint.recover', 'endpoint.replay', 'endpoint.bulk-replay', 'application.purge_content')),
  status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed')),
  params      jsonb NOT NULL,
  cursor      text NOT NULL DEFAULT '',
  data        jsonb NOT NULL DEFAULT '{}',
  failures    integer NOT NULL DEFAULT 0,
  lease_owner text,
  lease_until timestamptz(3),
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  updated_at  timestamptz(3) NOT NULL DEFAULT now()
);

-- The tenant's list, by id (creation time).
CREATE INDEX background_tasks_tenant_id_idx ON background_tasks (tenant_id, id);
-- What the workers claim: running tasks, oldest first.
CREATE INDEX background_tasks_running_idx ON background_tasks (id) WHERE status = 'running';

-- Down Migration
DROP TABLE background_tasks;
