-- The schema of commit d3ea392, before record keys, PROP_MODE and SAT_NAME
-- were stored: TestMigrate_RecordKeys upgrades a database in this state.
CREATE TABLE `users` (`id` integer PRIMARY KEY AUTOINCREMENT,`callsign` text NOT NULL,`password_hash` blob NOT NULL,`created_at` datetime);
CREATE UNIQUE INDEX `idx_users_callsign` ON `users`(`callsign`);
CREATE TABLE `qsos` (`id` integer PRIMARY KEY AUTOINCREMENT,`user_id` integer NOT NULL,`station_callsign` text NOT NULL DEFAULT "",`call` text NOT NULL,`start` integer NOT NULL,`band` text NOT NULL,`freq_mhz` real,`mode` text NOT NULL,`submode` text NOT NULL DEFAULT "",`mode_group` text NOT NULL,`dxcc` integer NOT NULL DEFAULT 0,`country` text NOT NULL DEFAULT "",`state` text NOT NULL DEFAULT "",`cq_zone` integer NOT NULL DEFAULT 0,`itu_zone` integer NOT NULL DEFAULT 0,`grid` text NOT NULL DEFAULT "",`dok` text NOT NULL DEFAULT "",`source` text NOT NULL,`lotw_confirmed` numeric NOT NULL DEFAULT false,`lotw_confirmed_at` integer,`dcl_confirmed` numeric NOT NULL DEFAULT false,`dcl_confirmed_at` integer,`created_at` integer,`updated_at` integer);
CREATE INDEX `idx_qsos_user_dxcc` ON `qsos`(`user_id`,`dxcc`,`lotw_confirmed`,`dcl_confirmed`);
CREATE INDEX `idx_qsos_user_band_mode` ON `qsos`(`user_id`,`band`,`mode`,`submode`,`lotw_confirmed`,`dcl_confirmed`);
CREATE INDEX `idx_qsos_user_call` ON `qsos`(`user_id`,`call`,`band`,`start`);
CREATE INDEX `idx_qsos_user_start` ON `qsos`(`user_id`,`start` desc);
CREATE TABLE `sync_states` (`user_id` integer,`source` text,`credentials` blob,`credentials_invalid` numeric NOT NULL DEFAULT false,`cursor` text,`last_success` datetime,`last_attempt` datetime,`next_attempt` datetime,`last_error` text,`updated_at` datetime,PRIMARY KEY (`user_id`,`source`));
CREATE TABLE `settings` (`name` text,`value` blob,PRIMARY KEY (`name`));
