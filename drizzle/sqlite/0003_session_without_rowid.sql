-- The session table without a rowid (custom migration: drizzle's schema cannot say WITHOUT ROWID).
-- With a rowid, the text primary key is an index of its own beside the table: every logout
-- deletes from four B-trees (table, primary key, user_id, expires_at) and every lookup goes
-- through two. Keyed by the primary key itself, it is three and one (docs/benchmarks.md).
CREATE TABLE `__new_session` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`user_agent` text,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_session` (`id`, `user_id`, `expires_at`, `created_at`, `user_agent`) SELECT `id`, `user_id`, `expires_at`, `created_at`, `user_agent` FROM `session`;
--> statement-breakpoint
DROP TABLE `session`;
--> statement-breakpoint
ALTER TABLE `__new_session` RENAME TO `session`;
--> statement-breakpoint
CREATE INDEX `session_user_id_idx` ON `session` (`user_id`);
--> statement-breakpoint
CREATE INDEX `session_expires_at_idx` ON `session` (`expires_at`);
