//! Connections that go silent are closed: a socket wrapper that fails its reads once nothing has
//! moved on it for a while, so that idle, stalled or slowloris connections cannot pile up and
//! exhaust file descriptors.
//!
//! Until the first byte arrives the limit is the header-read timeout (a client that connects
//! and sends nothing); afterwards it is the idle timeout (no byte read or written). HTTP/1
//! request heads are also bounded by hyper's own header-read timeout, which runs whenever a
//! connection waits for its next request.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// A connection with an inactivity limit.
#[derive(Debug)]
pub struct IdleIo<T> {
    inner: T,
    first_byte: Duration,
    idle: Duration,
    last_activity: Instant,
    seen_bytes: bool,
    timer: Pin<Box<Sleep>>,
}

impl<T> IdleIo<T> {
    /// Wraps `inner`: closed if no byte arrives within `first_byte`, or nothing moves for `idle`.
    pub fn new(inner: T, first_byte: Duration, idle: Duration) -> IdleIo<T> {
        let now = Instant::now();
        IdleIo {
            inner,
            first_byte,
            idle,
            last_activity: now,
            seen_bytes: false,
            timer: Box::pin(tokio::time::sleep_until(now + first_byte)),
        }
    }

    /// The wrapped connection.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    fn deadline(&self) -> Instant {
        self.last_activity + if self.seen_bytes { self.idle } else { self.first_byte }
    }

    fn touch(&mut self, read: bool) {
        self.last_activity = Instant::now();
        self.seen_bytes |= read;
    }

    /// Pending until the deadline; then a timeout error, unless something moved meanwhile.
    fn poll_deadline(&mut self, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let deadline = self.deadline();
            if Instant::now() >= deadline {
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "connection idle for too long")));
            }
            if self.timer.deadline() != deadline {
                self.timer.as_mut().reset(deadline);
            }
            if self.timer.as_mut().poll(context).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleIo<T> {
    fn poll_read(mut self: Pin<&mut Self>, context: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(context, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.touch(true);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => this.poll_deadline(context),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, context: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write(context, buf);
        if let Poll::Ready(Ok(n)) = result
            && n > 0
        {
            this.touch(false);
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write_vectored(context, bufs);
        if let Poll::Ready(Ok(n)) = result
            && n > 0
        {
            this.touch(false);
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(context)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(context)
    }
}

impl tonic::transport::server::Connected for IdleIo<tokio::net::TcpStream> {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;
    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}
