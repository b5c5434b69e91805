/* hz-send-batch: the per-thread send queue and receive buffer of HzPeer
 * (media-internal; the public contract is in hz-peer.h).
 *
 * Owns, per thread (a peer is used from one thread only): one receive
 * buffer shared by every peer on the thread (receive callbacks do not nest)
 * and a queue of 64 packet slots. The forwarding path builds a packet in
 * the next slot, SRTP protects it in place and queues it with its socket
 * and destination; the queue goes out with one sendmmsg() per socket from
 * the prepare() of a GSource on the peers' main context, i.e. after every
 * source of the loop iteration has been dispatched and before the thread
 * polls again, or at once when the 64 slots are used. Nothing is allocated
 * per packet.
 */
#pragma once

#include <glib.h>
#include <sys/socket.h>

G_BEGIN_DECLS

/* The receive buffer of this thread, @size octets (4 KiB). */
guint8 *hz_send_batch_recv_buffer (gsize *size);

/* The next free slot of this thread's queue, whose flush source is on
 * @context (the queue is flushed and its source moved if it was on another
 * context, flushed if full). @slot_size octets. */
guint8 *hz_send_batch_slot (GMainContext *context, gsize slot_size);

/* Queues @buf (@len octets) for @fd and @addr if @buf is the slot that
 * hz_send_batch_slot() returned last on this thread for @context; FALSE
 * otherwise (then the caller sends it itself). A send that fails at flush
 * time increments *@errors. @addr must stay valid until the next flush. */
gboolean hz_send_batch_queue (GMainContext *context, guint8 *buf, gsize len, int fd,
                              const struct sockaddr *addr, socklen_t addr_len, guint64 *errors);

/* Sends what this thread has queued (before a socket closes or a
 * destination changes). */
void hz_send_batch_flush (void);

G_END_DECLS
