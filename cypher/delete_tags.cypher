// Every tag, before the tree is rebuilt.
MATCH (t:Tag)
CALL { WITH t DETACH DELETE t } IN TRANSACTIONS OF 10000 ROWS
