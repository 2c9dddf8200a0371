"""The same networks and steps in PyTorch (D update, then G update), for comparison only."""
import torch
from torch import nn


def gan_nets(latent_size=100):
    g = nn.Sequential(nn.Linear(latent_size, 128), nn.ReLU(),
                      nn.Linear(128, 256), nn.BatchNorm1d(256), nn.ReLU(),
                      nn.Linear(256, 512), nn.BatchNorm1d(512), nn.ReLU(),
                      nn.Linear(512, 1024), nn.BatchNorm1d(1024), nn.ReLU(),
                      nn.Linear(1024, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))
    d = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2),
                      nn.Linear(256, 1), nn.Sigmoid())
    return g, d, (latent_size,), (1, 28, 28)


def dcgan_nets(nz=100, ngf=64, ndf=64, nc=3):
    g = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())
    d = nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Flatten(), nn.Sigmoid())
    return g, d, (nz, 1, 1), (nc, 64, 64)


TORCH_NETS = {"gan": gan_nets, "dcgan": dcgan_nets}


def torch_step(model, batch_size, threads, device="cpu"):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    g, d, zshape, ishape = TORCH_NETS[model]()
    g, d = g.to(device), d.to(device)
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    bce = nn.BCELoss()
    real = torch.rand(batch_size, *ishape, device=device) * 2 - 1
    z = torch.randn(batch_size, *zshape, device=device)
    ones, zeros = torch.ones(batch_size, 1, device=device), torch.zeros(batch_size, 1, device=device)

    def step():
        opt_d.zero_grad()
        fake = g(z).detach()
        loss_d = bce(d(real), ones) + bce(d(fake), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        loss_g = bce(d(g(z)), ones)
        loss_g.backward()
        opt_g.step()
        return float(loss_d), float(loss_g)

    return step
