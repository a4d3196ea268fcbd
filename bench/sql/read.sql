-- GET /api/v1/requests/{id} by a clerk, as the API sends it: one statement in its implicit
-- transaction (no BEGIN/COMMIT) selecting the request with the visibility rule
-- (requests.access.VISIBLE_SQL; a clerk of every department) and recording the read in the
-- access log. The published catalogue version is cached in the API process: no query.
-- Variables: :clerk (uuid), :pool (size of the read pool).
\set n random(1, :pool)
WITH r AS (SELECT id, reference, service_code, service_version, title, department, state, version, applicant_id, filed_by_kind, filed_by_id, assignee_id, priority, data, location, sla_business_days, sla_state, sla_paused_at, due_at, overdue_at, created_at, submitted_at, updated_at, closed_at FROM requests WHERE id = md5('rd' || :n)::uuid AND (NULL::text[] IS NULL OR service_code = ANY(NULL::text[])) AND (applicant_id = NULL::uuid OR (filed_by_kind = NULL::text AND filed_by_id = NULL::uuid) OR (submitted_at IS NOT NULL AND (false OR department = ANY(ARRAY['buergerservice', 'steuern', 'tiefbau', 'verkehr']::text[]))))), logged AS (INSERT INTO request_access_log (request_id, staff_id, action, actor_kind, actor_role) SELECT id, :clerk::uuid, 'read'::text, 'staff'::text, 'clerk'::text FROM r WHERE 'read'::text IS NOT NULL AND NOT coalesce('staff'::text = 'client' AND filed_by_kind = 'client' AND filed_by_id = :clerk::uuid, false)) SELECT * FROM r;
