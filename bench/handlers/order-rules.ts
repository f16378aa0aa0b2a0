import { iso31661Alpha2ToAlpha3 } from 'iso-3166/1-a2-to-1-a3.js';

/** The rules of the order schema (src/layers/shared/src/domain/order.ts), for the other libraries. */
export const SKU = /^[A-Z0-9][A-Z0-9-]{0,31}$/;
export const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;
export const COUNTRIES = new Set(Object.keys(iso31661Alpha2ToAlpha3));
export const uniqueSkus = (items: Array<{ sku: string }>) =>
  new Set(items.map((i) => i.sku)).size === items.length;

/** The event of every validation variant: the body of POST /orders and an order to read. */
export interface ValidationEvent {
  orderId: string;
  body: string;
}
