"""A record of every background run: what ran, on what, when, how it ended and what it did."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class Outcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class TaskRun(models.Model):
    """One run of a background task (a Celery task or its in-process equivalent).

    A run is recorded before it starts work (outcome "running") and finished with its
    outcome, counts and error. The target is a text label plus, when the target is a
    database record (an uptake source, a service), a generic link to it. Progress
    (`progress_done` of `progress_total`) is updated while the run works.
    """

    task_name = models.CharField(max_length=200, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    target_content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_object_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_object = GenericForeignKey("target_content_type", "target_object_id")
    celery_task_id = models.CharField(max_length=255, blank=True, db_index=True)
    attempt = models.PositiveSmallIntegerField(
        default=1, help_text="1 for the first try, 2 for the first retry, and so on."
    )
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=10, choices=Outcome.choices, default=Outcome.RUNNING, db_index=True
    )
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(null=True, blank=True)
    progress_step = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["target_content_type", "target_object_id"])]
        verbose_name = "task run"

    def __str__(self) -> str:
        when = timezone.localtime(self.started_at).strftime("%d %b %Y %H:%M")
        label = f"{self.task_name} ({self.target})" if self.target else self.task_name
        return f"{label}, {when}"

    @property
    def duration(self):
        end = self.finished_at or timezone.now()
        return end - self.started_at

    @property
    def progress_percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, int(100 * self.progress_done / self.progress_total))

    @property
    def progress_label(self) -> str:
        if self.progress_total:
            text = f"{self.progress_done:,} of {self.progress_total:,} ({self.progress_percent}%)"
        elif self.progress_done:
            text = f"{self.progress_done:,}"
        else:
            text = ""
        if self.progress_step:
            text = f"{self.progress_step}: {text}" if text else self.progress_step
        return text

    @property
    def counts_label(self) -> str:
        return ", ".join(f"{key} {value}" for key, value in (self.counts or {}).items())

    @classmethod
    def for_target(cls, obj):
        return cls.objects.filter(
            target_content_type=ContentType.objects.get_for_model(obj), target_object_id=obj.pk
        )
