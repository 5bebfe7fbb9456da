"""What people are told: invites and messages for booking changes, reminders, clock-change notices, meeting links, and the transactional outbox that sends them."""
