from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.contract_fields import UserContractFields
from app.core.db import Base, Int64, UTCDateTime, utcnow


class User(UserContractFields, Base):
    """An account. The fields the contract adds come from the generated
    `UserContractFields`."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Int64, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="customer")
    display_name: Mapped[str] = mapped_column(String(100), default="")
    wechat_app_id: Mapped[str | None] = mapped_column(String(64))
    wechat_openid: Mapped[str | None] = mapped_column(String(128))
    wechat_unionid: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("wechat_app_id", "wechat_openid"),)


class RefreshToken(Base):
    """One issued refresh token. A token is spent once; a spent one presented again revokes
    its whole family (every token descended from the same sign-in)."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(String(32), primary_key=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[int] = mapped_column(
        Int64, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
