// The given CUIs that are concept ids, and every CUI held as a `UMLS:` cross-reference (a
// benchmark's coverage figure; the cross-references are read by a scan).
UNWIND $cuis AS cui
MATCH (c:Concept {cui: cui})
RETURN DISTINCT cui
UNION
MATCH (c:Concept)
UNWIND c.xrefs AS xref
WITH xref WHERE xref STARTS WITH 'UMLS:'
RETURN DISTINCT substring(xref, 5) AS cui
