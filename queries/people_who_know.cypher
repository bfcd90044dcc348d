// People who know someone at an organisation: personal ties (colleague, alumni, board, ...) from
// people elsewhere to the organisation's people still in post. The way in for relationship-first
// partners.
// @param org: string  organisation id
MATCH (contact:Person)-[:WORKS_AT]->(o:Organization {id: $org})
WHERE contact.until IS NULL
MATCH (contact)-[k:KNOWS]-(p:Person)-[:WORKS_AT]->(po:Organization)
WHERE po <> o
RETURN p.id AS id,
       p.name AS name,
       po.id AS organization,
       po.name AS organization_name,
       contact.id AS contact,
       contact.name AS contact_name,
       k.kind AS tie,
       k.since AS since
ORDER BY organization, id, contact
