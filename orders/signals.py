from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from orders.models import StaffProfile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_staff_profile(sender, instance, created: bool, **kwargs) -> None:
    """Every user has a profile, so the assignment robot can see them."""
    if created:
        StaffProfile.objects.get_or_create(user=instance)
