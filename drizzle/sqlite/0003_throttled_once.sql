ALTER TABLE `security_event` ADD `throttle_bucket` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `security_event_throttled_once` ON `security_event` (`user_id`,`throttle_bucket`);