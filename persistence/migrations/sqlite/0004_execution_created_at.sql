-- Dashboards and the executions list filter by creation time; without this index a range
-- query reads every execution.
CREATE INDEX executions_created_at ON executions (created_at);
