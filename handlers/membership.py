"""Who blocked the bot: nothing is sent to them until they unblock it."""

from __future__ import annotations

from telegram import ChatMember, Update

from bot.runtime import Context


async def on_my_chat_member(update: Update, context: Context) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    reachable = change.new_chat_member.status not in (ChatMember.BANNED, ChatMember.LEFT)
    await context.services.registration.set_reachable(change.from_user.id, reachable)
