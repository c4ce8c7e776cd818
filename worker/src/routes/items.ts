import { Hono } from "hono";
import { AppError } from "../../../shared/errors";
import { isValidId } from "../../../shared/ids";
import { getCatalogItem } from "../catalog/d1-catalog";
import { type AppEnv } from "../http/app-env";

export const itemsRoute = new Hono<AppEnv>().get("/:id", async (c) => {
  const id = c.req.param("id");
  if (!isValidId(id)) throw new AppError("invalid_request", "item id must be 1-128 characters of A-Z a-z 0-9 _ . : @ -");
  const item = await getCatalogItem(c.env.DB, id);
  if (!item) throw new AppError("item_not_found", `no item with id ${id} in the catalog`);
  return c.json(item);
});
