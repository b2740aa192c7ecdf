// Which of the given CUIs the vocabulary holds (a benchmark's coverage figure).
UNWIND $cuis AS cui
MATCH (c:Concept {cui: cui})
RETURN DISTINCT cui
