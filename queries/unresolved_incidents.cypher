// Unresolved incidents: no repairing follow-up (no post-mortem, mediation, staff rotation or written
// reset) has been recorded; escalations (termination, legal action) do not count as repair.
// @param min_severity: int in 1..5 = 1  only incidents at least this severe (1 minor, 5 critical)
MATCH (r:Organization)-[:REPORTED]->(i:Incident)-[:BLAMES]->(s:Organization)
WHERE i.severity >= $min_severity
  AND NOT EXISTS {
    MATCH (i)-[:FOLLOWED_BY]->(x:IncidentAction)
    WHERE x.kind IN ['post_mortem', 'mediation', 'staff_rotation', 'reset']
  }
RETURN i.id AS id,
       i.date AS date,
       r.id AS reporter,
       r.name AS reporter_name,
       s.id AS subject,
       s.name AS subject_name,
       i.kind AS kind,
       i.severity AS severity,
       [(i)-[:FOLLOWED_BY]->(x:IncidentAction) | x.kind] AS actions
ORDER BY date, id
