//! The content generation as this process reads it: a counter the database moves on every
//! write a read can see (see the `content_generation` migration), whichever process wrote.
//!
//! Every cached answer is keyed by the generation read for its request, and a request reads it
//! afresh: an answer computed before a commit is never served after the committing process has
//! returned. Requests arriving together share one read, but only a read that started after
//! they arrived, so sharing never makes an answer older.

use std::sync::{Arc, Mutex, PoisonError};

use lmsdr_entity::content_generation;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QuerySelect};
use tokio::sync::Notify;

/// The generation, read once for every request that waits on it.
#[derive(Clone)]
pub struct Generation {
    db: DatabaseConnection,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    done: Notify,
}

#[derive(Default)]
struct State {
    /// Reads started so far; the one in flight, if any, is the last.
    started: u64,
    in_flight: bool,
    /// The number of the last read that finished, and what it read.
    last: Option<(u64, i64)>,
}

impl Generation {
    /// A reader over a database.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            shared: Arc::default(),
        }
    }

    /// The generation as it stands now: from a read that started after this call.
    pub async fn current(&self) -> Result<i64, DbErr> {
        let needed = self.lock().started + 1;
        loop {
            let done = self.shared.done.notified();
            tokio::pin!(done);
            let next = {
                let mut state = self.lock();
                match state.last {
                    Some((number, generation)) if number >= needed => Next::Read(generation),
                    _ if !state.in_flight => {
                        state.in_flight = true;
                        state.started += 1;
                        Next::Start(state.started)
                    }
                    _ => {
                        // Registered before the lock is let go, so the read's end is not missed.
                        done.as_mut().enable();
                        Next::Wait
                    }
                }
            };
            match next {
                Next::Read(generation) => return Ok(generation),
                Next::Start(number) => return self.read(number).await,
                Next::Wait => done.await,
            }
        }
    }

    async fn read(&self, number: u64) -> Result<i64, DbErr> {
        // Ends the read whatever happens to this future: a request dropped mid-read must not
        // leave the others waiting on a read that will never finish.
        let mut flight = InFlight {
            owner: self,
            number,
            read: None,
        };
        let read = read(&self.db).await;
        flight.read = read.as_ref().ok().copied();
        read
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a caller of [`Generation::current`] does next.
enum Next {
    /// A read that started after it arrived has finished: its answer.
    Read(i64),
    /// Nobody is reading: it reads, as read number so-and-so.
    Start(u64),
    /// A read is in flight: it waits for its end.
    Wait,
}

/// The read in flight; when dropped, it records what it read and wakes the waiters (the waiters
/// of a read that failed or was dropped start one of their own).
struct InFlight<'a> {
    owner: &'a Generation,
    number: u64,
    read: Option<i64>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        {
            let mut state = self.owner.lock();
            state.in_flight = false;
            if let Some(generation) = self.read {
                state.last = Some((self.number, generation));
            }
        }
        self.owner.shared.done.notify_waiters();
    }
}

/// Reads the generation from the database.
pub async fn read<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    content_generation::Entity::find_by_id(1)
        .select_only()
        .column(content_generation::Column::Generation)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the content generation row".into()))
}
