import { RECEIPT_META_KEY } from '@writ/core/adapter';
import type { AuditReceipt } from '@writ/core/plugin';

/** The receipt of the server's decision record for the call being answered, once appended. @internal */
export interface ReceiptSlot {
  receipt?: AuditReceipt;
}

/** An `onReceipt` keeping the receipt in `slot`. @internal */
export const keepIn =
  (slot: ReceiptSlot) =>
  (receipt: AuditReceipt): void => {
    slot.receipt = receipt;
  };

/**
 * The tool result with the server's decision receipt in `_meta["io.writ/receipt"]` (the tool's own
 * `_meta` keys kept; the receipt key is Writ's to set). A result that is not an object goes as it is.
 * @internal
 */
export function withReceipt(result: unknown, receipt: AuditReceipt | undefined): unknown {
  if (receipt === undefined || typeof result !== 'object' || result === null) return result;
  const meta = (result as { _meta?: unknown })._meta;
  return {
    ...result,
    _meta: {
      ...(typeof meta === 'object' && meta !== null ? meta : {}),
      [RECEIPT_META_KEY]: { log: receipt.log, index: receipt.index, leafHash: receipt.leafHash },
    },
  };
}
