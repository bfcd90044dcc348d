// Incidents between two parties, in either direction, with their follow-up actions (post-mortem,
// mediation, staff rotation, reset, termination, legal action) in date order: the story of how trust
// was shaken and repaired.
// @param a: string  organisation id
// @param b: string  organisation id
MATCH (r:Organization)-[:REPORTED]->(i:Incident)-[:BLAMES]->(s:Organization)
WHERE (r.id = $a AND s.id = $b) OR (r.id = $b AND s.id = $a)
OPTIONAL MATCH (i)-[:FOLLOWED_BY]->(x:IncidentAction)
WITH r, i, s, x
ORDER BY x.date, x.id
WITH r, i, s, collect(x {.id, .kind, .date, .note}) AS actions
RETURN i.id AS id,
       i.date AS date,
       r.id AS reporter,
       s.id AS subject,
       i.kind AS kind,
       i.severity AS severity,
       head([(i)-[:DURING]->(p:Partnership) | p.id]) AS partnership,
       i.description AS description,
       [x IN actions | x.kind] AS action_kinds,
       actions
ORDER BY date, id
