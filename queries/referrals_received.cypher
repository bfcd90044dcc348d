// Referrals received by an organisation: who vouched for it (or warned about it), how strongly, when
// and to whom, newest first.
// @param org: string  organisation id
// @param min_strength: float in -1..1 = -1.0  only referrals at least this strong (0.01 for vouches only)
MATCH (s:Organization)-[r:REFERS]->(o:Organization {id: $org})
WHERE r.strength >= $min_strength
RETURN s.id AS id,
       s.name AS name,
       r.id AS referral,
       r.strength AS strength,
       r.date AS date,
       r.recipient AS recipient,
       r.note AS note
ORDER BY date DESC, referral
