import { Hono } from "hono";
import { AppError } from "../../../shared/errors";
import { getCatalogItem } from "../catalog/d1-catalog";
import { type AppEnv } from "../http/app-env";
import { itemIdParam, plainQueryError } from "../http/schemas/catalog-reads";
import { validParams } from "../http/schemas/validate";
import { unavailable } from "../http/unavailable";

export const itemsRoute = new Hono<AppEnv>().get("/:id", validParams(itemIdParam, plainQueryError), async (c) => {
  const id = c.req.valid("param").id;
  const item = await getCatalogItem(c.env.DB, id).catch(unavailable("the catalog (D1)", "retry"));
  if (!item) throw new AppError("item_not_found", `no item with id ${id} in the catalog`);
  return c.json(item);
});
