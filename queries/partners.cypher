// Partners of an organisation: every organisation that shares a partnership with it, how many
// partnerships they share, how many of those are active, and which (newest first).
// @param org: string  organisation id
// @param status: string = null  only partnerships with this status (active, completed, suspended, terminated)
MATCH (o:Organization {id: $org})-[:MEMBER_OF]->(p:Partnership)<-[:MEMBER_OF]-(partner:Organization)
WHERE $status IS NULL OR p.status = $status
WITH partner, p
ORDER BY p.start DESC, p.id
RETURN partner.id AS id,
       partner.name AS name,
       count(p) AS shared,
       sum(CASE WHEN p.status = 'active' THEN 1 ELSE 0 END) AS active,
       collect(p.id) AS partnerships
ORDER BY shared DESC, id
