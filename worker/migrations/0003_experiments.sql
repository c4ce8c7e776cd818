CREATE TABLE `experiment_audit` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`subject` text NOT NULL,
	`action` text NOT NULL,
	`after` text NOT NULL,
	`at` integer NOT NULL,
	`request_id` text
);
--> statement-breakpoint
CREATE INDEX `experiment_audit_subject_idx` ON `experiment_audit` (`subject`,`seq`);--> statement-breakpoint
CREATE TABLE `experiment_settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `experiments` (
	`experiment_id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`layer` text NOT NULL,
	`salt` text NOT NULL,
	`status` text NOT NULL,
	`traffic_start` integer NOT NULL,
	`traffic_end` integer NOT NULL,
	`control` text NOT NULL,
	`variants` text NOT NULL,
	`allocation` text NOT NULL,
	`surfaces` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`started_at` integer,
	`stopped_at` integer
);
--> statement-breakpoint
CREATE INDEX `experiments_status_idx` ON `experiments` (`status`);