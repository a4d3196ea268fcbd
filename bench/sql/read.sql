-- GET /api/v1/requests/{id} by a clerk (the read is recorded in the access log), as the API
-- sends it (the published catalogue version is cached in the API process: no query).
-- Variables: :clerk (uuid), :pool (size of the read pool).
\set n random(1, :pool)
BEGIN;
SELECT id, reference, service_code, service_version, title, department, state, version, applicant_id, filed_by_kind, filed_by_id, assignee_id, priority, data, location, sla_business_days, sla_state, sla_paused_at, due_at, overdue_at, created_at, submitted_at, updated_at, closed_at FROM requests WHERE id = md5('rd' || :n)::uuid;
INSERT INTO request_access_log (request_id, staff_id, action) SELECT unnest(ARRAY[md5('rd' || :n)::uuid]), :clerk, 'read';
END;
