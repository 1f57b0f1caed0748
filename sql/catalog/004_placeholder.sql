-- catalog 004: PLACEHOLDER on branch privmeta only. Step 004 is being written on another branch;
-- the installer refuses gaps in step numbers, so this empty step lets 005_privileges.sql install
-- here. Delete this file when merging the real 004.

SELECT 1;

---- create above / drop below ----

SELECT 1;
