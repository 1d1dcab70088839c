CREATE TABLE `password_reset` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `password_reset_user_id_idx` ON `password_reset` (`user_id`);--> statement-breakpoint
CREATE INDEX `password_reset_expires_at_idx` ON `password_reset` (`expires_at`);--> statement-breakpoint
CREATE TABLE `security_event` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`type` text NOT NULL,
	`session_public_id` text,
	`ip_address` text,
	`user_agent` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `security_event_user_id_idx` ON `security_event` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `security_event_created_at_idx` ON `security_event` (`created_at`);--> statement-breakpoint
CREATE TABLE `session_end` (
	`public_id` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`ended_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `session_end_ended_at_idx` ON `session_end` (`ended_at`);