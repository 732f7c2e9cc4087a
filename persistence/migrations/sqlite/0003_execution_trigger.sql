-- What an execution was started with, kept from its creation: the trigger node that starts it
-- (NULL: every trigger) and the correlation id of the request that created it. Both are also
-- recorded in its first event, but that event is written only when the execution is admitted;
-- an execution still queued when the instance stops must not forget them.
ALTER TABLE executions ADD COLUMN trigger_node text;
ALTER TABLE executions ADD COLUMN correlation_id text;
