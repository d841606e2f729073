-- Up Migration
-- Extra worker processes per task queue that the `npm start` supervisor runs beside its own worker.
-- scaleWorkerPool changes `extra`; the supervisor is notified (and polls) and spawns or stops
-- `dharma worker --pool <pool>` processes to match. Keyed by task queue, so installations with their
-- own DHARMA_TASK_QUEUE_PREFIX never scale each other.
CREATE TABLE worker_replicas (
  task_queue text PRIMARY KEY,
  pool       text NOT NULL,
  extra      integer NOT NULL CHECK (extra >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per applied scale request, keyed by the calling workflow and activity (`<workflowId>/<activityId>`):
-- a retried or replayed activity finds the change it already made instead of applying `delta` again.
CREATE TABLE worker_scale_requests (
  request_key  text PRIMARY KEY,
  task_queue   text NOT NULL,
  delta        integer NOT NULL,
  extra_before integer NOT NULL,
  extra_after  integer NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now()
);

-- Any change, also an operator's UPDATE by hand, wakes the supervisor at commit.
CREATE FUNCTION worker_replicas_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('dharma_worker_replicas', NEW.task_queue);
  RETURN NEW;
END;
$$;
CREATE TRIGGER worker_replicas_changed
  AFTER INSERT OR UPDATE ON worker_replicas
  FOR EACH ROW EXECUTE FUNCTION worker_replicas_notify();

-- Down Migration
DROP TABLE worker_scale_requests;
DROP TABLE worker_replicas;
DROP FUNCTION worker_replicas_notify();
