-- SPDX-License-Identifier: BSD-2-Clause
--
-- mysql-schema.sql - a minimal vdeliver / Postfix virtual mailbox schema
-- for MySQL or MariaDB, as in the common tutorials, with one sample row.
--
--   mariadb < mysql-schema.sql
--
-- Then create a read-only account for vdeliver (pick your own password and
-- put it in the mysql-virtual-*.cf files, mode 0600 root):
--
--   CREATE USER 'vdeliver'@'localhost' IDENTIFIED BY 'change-me';
--   GRANT SELECT ON vmail.* TO 'vdeliver'@'localhost';
--
-- vdeliver looks up, for each recipient, the full address
-- (user+ext@domain), then user@domain when recipient_delimiter is set,
-- then @domain: a row whose email is '@example.com' is a catch-all for
-- that domain.  Keys arrive in lower case; keep email in lower case too.

CREATE DATABASE IF NOT EXISTS vmail CHARACTER SET utf8mb4;
USE vmail;

-- The domains we accept mail for (virtual_mailbox_domains).
CREATE TABLE IF NOT EXISTS domains (
	name	VARCHAR(255) NOT NULL PRIMARY KEY,
	active	TINYINT(1) NOT NULL DEFAULT 1
);

-- One row per mailbox.  maildir is relative to virtual_mailbox_base; a
-- trailing '/' means maildir, none means an mbox file.  uid and gid are
-- the owner of the mailbox (>= virtual_minimum_uid; never 0).
CREATE TABLE IF NOT EXISTS users (
	email	VARCHAR(255) NOT NULL PRIMARY KEY,
	maildir	VARCHAR(255) NOT NULL,
	uid	INT UNSIGNED NOT NULL,
	gid	INT UNSIGNED NOT NULL,
	active	TINYINT(1) NOT NULL DEFAULT 1
);

INSERT IGNORE INTO domains (name) VALUES ('example.com');
INSERT IGNORE INTO users (email, maildir, uid, gid)
	VALUES ('user@example.com', 'example.com/user/', 5000, 5000);
