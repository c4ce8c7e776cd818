CREATE TABLE `items` (
	`item_id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`categories` text NOT NULL,
	`year` integer,
	`tags` text NOT NULL,
	`available` integer DEFAULT true NOT NULL,
	`index_version` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `items_updated_at_idx` ON `items` (`updated_at`);