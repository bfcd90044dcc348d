// Partnership sides held by a single person: for each organisation in a partnership, the people of
// that organisation, still in post, who hold the partnership; the rows where exactly one does.
// Institutional memory at risk: what if this person leaves?
// @param status: string = "active"  partnership status to check (active, completed, suspended, terminated)
// @param org: string = null  only this organisation's sides
MATCH (o:Organization)-[:MEMBER_OF]->(p:Partnership)
WHERE p.status = $status AND ($org IS NULL OR o.id = $org)
MATCH (h:Person)-[:HOLDS]->(p)
WHERE (h)-[:WORKS_AT]->(o) AND h.until IS NULL
WITH o, p, collect(h) AS holders
WHERE size(holders) = 1
WITH o, p, holders[0] AS h
RETURN p.id AS id,
       p.name AS name,
       o.id AS organization,
       o.name AS organization_name,
       h.id AS person,
       h.name AS person_name,
       h.role AS role
ORDER BY id, organization
