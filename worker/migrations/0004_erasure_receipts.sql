CREATE TABLE `erasure_receipts` (
	`receipt_id` text PRIMARY KEY NOT NULL,
	`subject` text NOT NULL,
	`requested_at` integer NOT NULL,
	`completed_at` integer NOT NULL,
	`stores` text NOT NULL,
	`request_id` text
);
--> statement-breakpoint
CREATE INDEX `erasure_receipts_subject_idx` ON `erasure_receipts` (`subject`,`requested_at`);