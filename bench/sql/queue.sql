-- GET /api/v1/queues/verkehr/requests (first page of 20, sorted by due date) by a clerk.
-- The API inserts the 20 access-log rows as one pipelined batch; here it is one INSERT ... SELECT
-- over the page just read (the same rows written, fewer round trips). Variables: :clerk.
BEGIN;
WITH page AS (SELECT requests.id, requests.reference, requests.service_code, requests.service_version, requests.title, requests.department, requests.state, requests.version, requests.applicant_id, requests.filed_by_kind, requests.filed_by_id, requests.assignee_id, requests.priority, requests.data, requests.location, requests.sla_business_days, requests.sla_state, requests.sla_paused_at, requests.due_at, requests.overdue_at, requests.created_at, requests.submitted_at, requests.updated_at, requests.closed_at FROM requests WHERE requests.department IN ('verkehr') AND requests.submitted_at IS NOT NULL ORDER BY coalesce(requests.due_at, 'infinity'::timestamptz) ASC, requests.id ASC LIMIT 21), logged AS (INSERT INTO request_access_log (request_id, staff_id, action) SELECT page.id, :clerk, 'list' FROM (SELECT id FROM page LIMIT 20) AS page) SELECT * FROM page;
END;
