-- GET /api/v1/requests/{id} by a clerk (the read is recorded in the access log).
-- Variables: :clerk (uuid), :pool (size of the read pool).
\set n random(1, :pool)
BEGIN;
SELECT requests.id, requests.reference, requests.service_code, requests.service_version, requests.title, requests.department, requests.state, requests.version, requests.applicant_id, requests.filed_by_kind, requests.filed_by_id, requests.assignee_id, requests.priority, requests.data, requests.location, requests.sla_business_days, requests.sla_state, requests.sla_paused_at, requests.due_at, requests.overdue_at, requests.created_at, requests.submitted_at, requests.updated_at, requests.closed_at FROM requests WHERE requests.id = md5('rd' || :n)::uuid;
INSERT INTO request_access_log (request_id, staff_id, action) VALUES (md5('rd' || :n)::uuid, :clerk, 'read') RETURNING request_access_log.id;
SELECT service_versions.version, service_versions.digest, service_versions.workflow_name, service_versions.workflow_version, workflow_versions.digest AS digest_1 FROM service_versions JOIN workflow_versions ON workflow_versions.name = service_versions.workflow_name AND workflow_versions.version = service_versions.workflow_version WHERE service_versions.code = 'bewohnerparkausweis' AND service_versions.version = 1;
END;
