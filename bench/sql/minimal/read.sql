-- The least SQL for the same result as GET /api/v1/requests/{id}: one SELECT of the request
-- by id. (The API also records a staff read in the access log; that write is part of the
-- result the law asks for, so the same-SQL script keeps it, this one does not.)
-- Variables: :pool (size of the read pool).
\set n random(1, :pool)
SELECT id, reference, service_code, service_version, title, department, state, version, applicant_id, filed_by_kind, filed_by_id, assignee_id, priority, data, location, sla_business_days, sla_state, sla_paused_at, due_at, overdue_at, created_at, submitted_at, updated_at, closed_at FROM requests WHERE id = md5('rd' || :n)::uuid;
